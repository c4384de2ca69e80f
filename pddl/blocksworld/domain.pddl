; Blocksworld without a hand (as in Latplan's images): one action moves a
; clear block onto the table or onto another clear block.
(define (domain blocksworld)
  (:requirements :strips :typing :equality)
  (:types block)
  (:predicates (on ?x ?y - block) (ontable ?x - block) (clear ?x - block))
  (:action move-to-table
    :parameters (?b ?from - block)
    :precondition (and (clear ?b) (on ?b ?from))
    :effect (and (ontable ?b) (clear ?from) (not (on ?b ?from))))
  (:action move-from-table
    :parameters (?b ?to - block)
    :precondition (and (clear ?b) (ontable ?b) (clear ?to) (not (= ?b ?to)))
    :effect (and (on ?b ?to) (not (ontable ?b)) (not (clear ?to))))
  (:action move-between
    :parameters (?b ?from ?to - block)
    :precondition (and (clear ?b) (on ?b ?from) (clear ?to) (not (= ?b ?to)) (not (= ?from ?to)))
    :effect (and (on ?b ?to) (clear ?from) (not (on ?b ?from)) (not (clear ?to)))))
