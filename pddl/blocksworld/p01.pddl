; Blocksworld, 3 blocks
(define (problem p01) (:domain blocksworld)
  (:objects a b c - block)
  (:init (ontable a) (on b a) (on c b) (clear c))
  (:goal (and (ontable c) (on b c) (on a b) (clear a))))
