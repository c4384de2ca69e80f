; Towers of Hanoi, 3 discs on 3 pegs: optimal plan 7 moves
(define (problem p01) (:domain hanoi)
  (:objects peg1 peg2 peg3 d1 d2 d3)
  (:init (on d1 d2) (on d2 d3) (on d3 peg1) (clear d1) (clear peg2) (clear peg3)
         (smaller peg1 d1) (smaller peg1 d2) (smaller peg1 d3) (smaller peg2 d1) (smaller peg2 d2) (smaller peg2 d3) (smaller peg3 d1) (smaller peg3 d2) (smaller peg3 d3) (smaller d2 d1) (smaller d3 d1) (smaller d3 d2))
  (:goal (and (on d1 d2) (on d2 d3) (on d3 peg3))))
