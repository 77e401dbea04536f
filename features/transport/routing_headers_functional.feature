@spec.transport_and_format.message_routing @checklist.T-05
Feature: Functional modules answer with the routing headers swapped
  Every request and response of a functional module carries OCPI-to-* and OCPI-from-*; a response
  names the requesting party as TO and the answering party as FROM. The harness reads the target's
  functional-module Sender lists (nothing is written).

  @id.transport.routing-headers-on-functional-modules @shall @role.any
  Scenario: Functional-module Sender lists answer TO the harness and FROM the party it addressed
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness sends GET to every paginated Sender endpoint with its credentials token
    Then every functional-module response carries the routing headers back to the harness
