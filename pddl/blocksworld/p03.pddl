; Blocksworld, 6 blocks
(define (problem p03) (:domain blocksworld)
  (:objects a b c d e f - block)
  (:init (ontable e) (on a e) (on c a) (clear c) (ontable b) (on f b) (on d f) (clear d))
  (:goal (and (ontable a) (on b a) (on c b) (on d c) (on e d) (on f e) (clear f))))
