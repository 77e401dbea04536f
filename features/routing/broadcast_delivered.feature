@spec.transport_and_format.message_routing @checklist.T-13
Feature: Broadcast push reaches the other parties
  A CPO that addresses a write to the hub itself (OCPI-to = the hub) asks for a broadcast: the
  hub delivers the same request to every connected party that receives the module, with the hub
  as FROM and the receiving party as TO, at the URL of the object's owner. The harness plays a
  CPO and an eMSP and watches what its eMSP identity's peer receives.

  @id.routing.broadcast-delivered @shall @role.hub
  Scenario: A Location pushed to the hub reaches the harness's other party
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a new Location under its own party id
    Then the hub delivers the same PUT to the harness's eMSP identity, from the hub, at the owner's URL
