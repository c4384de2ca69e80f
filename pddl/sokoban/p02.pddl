; Sokoban level (# wall, @ player, $ box, . goal, * box on goal):
;   ########
;   #   #  #
;   # $  $ #
;   #.# @ .#
;   #      #
;   ########
(define (problem p02) (:domain sokoban)
  (:objects c1-1 c1-2 c1-3 c1-5 c1-6 c2-1 c2-2 c2-3 c2-4 c2-5 c2-6 c3-1 c3-3 c3-4 c3-5 c3-6 c4-1 c4-2 c4-3 c4-4 c4-5 c4-6 - location)
  (:init (box c2-2) (box c2-5) (player c3-4)
         (adjacent c1-1 c2-1 down) (adjacent c1-1 c1-2 right) (adjacent c1-2 c2-2 down) (adjacent c1-2 c1-1 left) (adjacent c1-2 c1-3 right) (adjacent c1-3 c2-3 down) (adjacent c1-3 c1-2 left) (adjacent c1-5 c2-5 down) (adjacent c1-5 c1-6 right) (adjacent c1-6 c2-6 down) (adjacent c1-6 c1-5 left) (adjacent c2-1 c1-1 up) (adjacent c2-1 c3-1 down) (adjacent c2-1 c2-2 right) (adjacent c2-2 c1-2 up) (adjacent c2-2 c2-1 left) (adjacent c2-2 c2-3 right) (adjacent c2-3 c1-3 up) (adjacent c2-3 c3-3 down) (adjacent c2-3 c2-2 left) (adjacent c2-3 c2-4 right) (adjacent c2-4 c3-4 down) (adjacent c2-4 c2-3 left) (adjacent c2-4 c2-5 right) (adjacent c2-5 c1-5 up) (adjacent c2-5 c3-5 down) (adjacent c2-5 c2-4 left) (adjacent c2-5 c2-6 right) (adjacent c2-6 c1-6 up) (adjacent c2-6 c3-6 down) (adjacent c2-6 c2-5 left) (adjacent c3-1 c2-1 up) (adjacent c3-1 c4-1 down) (adjacent c3-3 c2-3 up) (adjacent c3-3 c4-3 down) (adjacent c3-3 c3-4 right) (adjacent c3-4 c2-4 up) (adjacent c3-4 c4-4 down) (adjacent c3-4 c3-3 left) (adjacent c3-4 c3-5 right) (adjacent c3-5 c2-5 up) (adjacent c3-5 c4-5 down) (adjacent c3-5 c3-4 left) (adjacent c3-5 c3-6 right) (adjacent c3-6 c2-6 up) (adjacent c3-6 c4-6 down) (adjacent c3-6 c3-5 left) (adjacent c4-1 c3-1 up) (adjacent c4-1 c4-2 right) (adjacent c4-2 c4-1 left) (adjacent c4-2 c4-3 right) (adjacent c4-3 c3-3 up) (adjacent c4-3 c4-2 left) (adjacent c4-3 c4-4 right) (adjacent c4-4 c3-4 up) (adjacent c4-4 c4-3 left) (adjacent c4-4 c4-5 right) (adjacent c4-5 c3-5 up) (adjacent c4-5 c4-4 left) (adjacent c4-5 c4-6 right) (adjacent c4-6 c3-6 up) (adjacent c4-6 c4-5 left))
  (:goal (and (box c3-1) (box c3-6))))
