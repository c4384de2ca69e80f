; 8-puzzle, 3 moves from the goal
(define (problem p01) (:domain puzzle8)
  (:objects t1 t2 t3 t4 t5 t6 t7 t8 - tile p11 p12 p13 p21 p22 p23 p31 p32 p33 - position)
  (:init (at t1 p11) (at t2 p12) (at t5 p13) (at t3 p21) (at t4 p22) (blank p23) (at t6 p31) (at t7 p32) (at t8 p33)
         (adjacent p11 p12) (adjacent p11 p21) (adjacent p12 p13) (adjacent p12 p22) (adjacent p12 p11) (adjacent p13 p23) (adjacent p13 p12) (adjacent p21 p22) (adjacent p21 p31) (adjacent p21 p11) (adjacent p22 p23) (adjacent p22 p32) (adjacent p22 p21) (adjacent p22 p12) (adjacent p23 p33) (adjacent p23 p22) (adjacent p23 p13) (adjacent p31 p32) (adjacent p31 p21) (adjacent p32 p33) (adjacent p32 p31) (adjacent p32 p22) (adjacent p33 p32) (adjacent p33 p23))
  (:goal (and (at t1 p12) (at t2 p13) (at t3 p21) (at t4 p22) (at t5 p23) (at t6 p31) (at t7 p32) (at t8 p33))))
