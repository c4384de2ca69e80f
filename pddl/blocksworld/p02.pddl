; Blocksworld, 4 blocks
(define (problem p02) (:domain blocksworld)
  (:objects a b c d - block)
  (:init (ontable a) (on c a) (clear c) (ontable b) (on d b) (clear d))
  (:goal (and (ontable d) (on c d) (on b c) (on a b) (clear a))))
