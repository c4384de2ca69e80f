; The 8-puzzle (sliding tiles on a 3x3 board), hand-written ground truth.
; One action moves a tile onto the adjacent blank position.
(define (domain puzzle8)
  (:requirements :strips :typing)
  (:types tile position)
  (:predicates (at ?t - tile ?p - position)
               (blank ?p - position)
               (adjacent ?p1 ?p2 - position))
  (:action move
    :parameters (?t - tile ?from ?to - position)
    :precondition (and (at ?t ?from) (blank ?to) (adjacent ?from ?to))
    :effect (and (at ?t ?to) (blank ?from) (not (at ?t ?from)) (not (blank ?to)))))
