@spec.transport_and_format.message_routing @checklist.T-04
Feature: A hub mints a new X-Request-ID per forwarded request
  Each request the hub sends on is a new request with its own X-Request-ID; only the
  X-Correlation-ID ties it to the original.

  @id.routing.forward-new-request-id @shall @role.hub
  Scenario: A forwarded request gets its own X-Request-ID
    Given the harness plays a CPO towards the target's sessions Receiver
    When the harness PUTs a new Session addressed to its eMSP identity through the hub
    Then the delivered request has a new X-Request-ID
