; LightsOut 3x3, lit by pressing 2 cells: all lights must go off
(define (problem p01) (:domain lightsout)
  (:objects x0-0 x0-1 x0-2 x1-0 x1-1 x1-2 x2-0 x2-1 x2-2 - cell)
  (:init (on x0-0) (on x1-1) (on x1-2) (on x2-1)
         (neighbours2 x0-0 x1-0 x0-1) (neighbours3 x0-1 x1-1 x0-0 x0-2) (neighbours2 x0-2 x1-2 x0-1) (neighbours3 x1-0 x0-0 x2-0 x1-1) (neighbours4 x1-1 x0-1 x2-1 x1-0 x1-2) (neighbours3 x1-2 x0-2 x2-2 x1-1) (neighbours2 x2-0 x1-0 x2-1) (neighbours3 x2-1 x1-1 x2-0 x2-2) (neighbours2 x2-2 x1-2 x2-1))
  (:goal (and (not (on x0-0)) (not (on x0-1)) (not (on x0-2)) (not (on x1-0)) (not (on x1-1)) (not (on x1-2)) (not (on x2-0)) (not (on x2-1)) (not (on x2-2)))))
