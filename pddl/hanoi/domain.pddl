; Towers of Hanoi, hand-written ground truth (untyped, as in the IPC).
; (smaller ?x ?y): disc ?y is smaller than ?x (pegs are larger than every disc).
(define (domain hanoi)
  (:requirements :strips :equality :negative-preconditions)
  (:predicates (clear ?x) (on ?x ?y) (smaller ?x ?y))
  (:action move
    :parameters (?disc ?from ?to)
    :precondition (and (smaller ?to ?disc) (on ?disc ?from) (clear ?disc) (clear ?to)
                       (not (= ?from ?to)))
    :effect (and (clear ?from) (on ?disc ?to) (not (on ?disc ?from)) (not (clear ?to)))))
