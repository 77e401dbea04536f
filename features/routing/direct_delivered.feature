@spec.transport_and_format.message_routing @checklist.T-12
Feature: A request addressed to a party goes through the hub to that party
  A request whose OCPI-to-* names a connected party is forwarded by the hub to that party with TO
  and FROM as the requester set them; the party's answer comes back with them swapped. The harness's
  CPO identity addresses a Session to the harness's own eMSP identity.

  @id.routing.direct-delivered @shall @role.hub
  Scenario: A Session addressed to the harness's eMSP reaches it, and its answer comes back
    Given the harness plays a CPO towards the target's sessions Receiver
    When the harness PUTs a new Session addressed to its eMSP identity through the hub
    Then the hub forwards the PUT to the harness's eMSP identity and relays its answer, routing headers swapped
