@spec.transport_and_format.message_routing @checklist.T-13
Feature: A broadcast does not come back to its sender
  A broadcast push goes to the connected parties of the opposite role that receive the module; the
  party that sent it is not one of them. The harness's CPO identity implements a locations Receiver,
  so that a Location it broadcasts would be seen coming back to it.

  @id.routing.broadcast-not-echoed @should @role.hub
  Scenario: A Location the CPO broadcasts is not delivered back to the CPO
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a new Location under its own party id
    Then the broadcast reaches the harness's eMSP identity but not the CPO identity that sent it
