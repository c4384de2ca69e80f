; Sokoban, hand-written ground truth. Locations are floor cells; walls are
; simply absent from the adjacency relation. The player walks to a free
; neighbour or pushes a box one cell further in the same direction.
(define (domain sokoban)
  (:requirements :strips :typing :negative-preconditions)
  (:types location direction)
  (:constants up down left right - direction)
  (:predicates (player ?l - location)
               (box ?l - location)
               (adjacent ?from ?to - location ?d - direction))
  (:action move
    :parameters (?from ?to - location ?d - direction)
    :precondition (and (player ?from) (adjacent ?from ?to ?d) (not (box ?to)))
    :effect (and (player ?to) (not (player ?from))))
  (:action push
    :parameters (?from ?at ?to - location ?d - direction)
    :precondition (and (player ?from) (adjacent ?from ?at ?d) (adjacent ?at ?to ?d)
                       (box ?at) (not (box ?to)))
    :effect (and (player ?at) (not (player ?from)) (box ?to) (not (box ?at)))))
