@spec.transport_and_format.message_routing @checklist.T-12
Feature: A hub never changes last_updated
  last_updated is the owner's statement of which version an object is; a hub that forwards or
  stores it must not alter it.

  @id.routing.last-updated-untouched @shall @role.hub
  Scenario: The hub forwards last_updated unchanged
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a new Location under its own party id
    Then the delivered object carries the last_updated the CPO sent
