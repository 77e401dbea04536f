@spec.transport_and_format.message_routing @checklist.T-04
Feature: A hub keeps the X-Correlation-ID on what it forwards
  The X-Correlation-ID follows a request across every hop, so both ends can find one exchange in
  their logs.

  @id.routing.forward-keeps-correlation-id @shall @role.hub
  Scenario: A forwarded request keeps the X-Correlation-ID
    Given the harness plays a CPO towards the target's sessions Receiver
    When the harness PUTs a new Session addressed to its eMSP identity through the hub
    Then the delivered request keeps the requester's X-Correlation-ID
