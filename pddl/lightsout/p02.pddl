; LightsOut 4x4, lit by pressing 4 cells: all lights must go off
(define (problem p02) (:domain lightsout)
  (:objects x0-0 x0-1 x0-2 x0-3 x1-0 x1-1 x1-2 x1-3 x2-0 x2-1 x2-2 x2-3 x3-0 x3-1 x3-2 x3-3 - cell)
  (:init (on x0-0) (on x0-1) (on x0-2) (on x0-3) (on x1-1) (on x1-3) (on x2-0) (on x2-1) (on x2-2) (on x3-0) (on x3-1) (on x3-2)
         (neighbours2 x0-0 x1-0 x0-1) (neighbours3 x0-1 x1-1 x0-0 x0-2) (neighbours3 x0-2 x1-2 x0-1 x0-3) (neighbours2 x0-3 x1-3 x0-2) (neighbours3 x1-0 x0-0 x2-0 x1-1) (neighbours4 x1-1 x0-1 x2-1 x1-0 x1-2) (neighbours4 x1-2 x0-2 x2-2 x1-1 x1-3) (neighbours3 x1-3 x0-3 x2-3 x1-2) (neighbours3 x2-0 x1-0 x3-0 x2-1) (neighbours4 x2-1 x1-1 x3-1 x2-0 x2-2) (neighbours4 x2-2 x1-2 x3-2 x2-1 x2-3) (neighbours3 x2-3 x1-3 x3-3 x2-2) (neighbours2 x3-0 x2-0 x3-1) (neighbours3 x3-1 x2-1 x3-0 x3-2) (neighbours3 x3-2 x2-2 x3-1 x3-3) (neighbours2 x3-3 x2-3 x3-2))
  (:goal (and (not (on x0-0)) (not (on x0-1)) (not (on x0-2)) (not (on x0-3)) (not (on x1-0)) (not (on x1-1)) (not (on x1-2)) (not (on x1-3)) (not (on x2-0)) (not (on x2-1)) (not (on x2-2)) (not (on x2-3)) (not (on x3-0)) (not (on x3-1)) (not (on x3-2)) (not (on x3-3)))))
