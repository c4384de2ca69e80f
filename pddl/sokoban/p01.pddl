; Sokoban level (# wall, @ player, $ box, . goal, * box on goal):
;   #######
;   #.   .#
;   # $$  #
;   #  @  #
;   #######
(define (problem p01) (:domain sokoban)
  (:objects c1-1 c1-2 c1-3 c1-4 c1-5 c2-1 c2-2 c2-3 c2-4 c2-5 c3-1 c3-2 c3-3 c3-4 c3-5 - location)
  (:init (box c2-2) (box c2-3) (player c3-3)
         (adjacent c1-1 c2-1 down) (adjacent c1-1 c1-2 right) (adjacent c1-2 c2-2 down) (adjacent c1-2 c1-1 left) (adjacent c1-2 c1-3 right) (adjacent c1-3 c2-3 down) (adjacent c1-3 c1-2 left) (adjacent c1-3 c1-4 right) (adjacent c1-4 c2-4 down) (adjacent c1-4 c1-3 left) (adjacent c1-4 c1-5 right) (adjacent c1-5 c2-5 down) (adjacent c1-5 c1-4 left) (adjacent c2-1 c1-1 up) (adjacent c2-1 c3-1 down) (adjacent c2-1 c2-2 right) (adjacent c2-2 c1-2 up) (adjacent c2-2 c3-2 down) (adjacent c2-2 c2-1 left) (adjacent c2-2 c2-3 right) (adjacent c2-3 c1-3 up) (adjacent c2-3 c3-3 down) (adjacent c2-3 c2-2 left) (adjacent c2-3 c2-4 right) (adjacent c2-4 c1-4 up) (adjacent c2-4 c3-4 down) (adjacent c2-4 c2-3 left) (adjacent c2-4 c2-5 right) (adjacent c2-5 c1-5 up) (adjacent c2-5 c3-5 down) (adjacent c2-5 c2-4 left) (adjacent c3-1 c2-1 up) (adjacent c3-1 c3-2 right) (adjacent c3-2 c2-2 up) (adjacent c3-2 c3-1 left) (adjacent c3-2 c3-3 right) (adjacent c3-3 c2-3 up) (adjacent c3-3 c3-2 left) (adjacent c3-3 c3-4 right) (adjacent c3-4 c2-4 up) (adjacent c3-4 c3-3 left) (adjacent c3-4 c3-5 right) (adjacent c3-5 c2-5 up) (adjacent c3-5 c3-4 left))
  (:goal (and (box c1-1) (box c1-5))))
