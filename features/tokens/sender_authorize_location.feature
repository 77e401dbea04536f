@spec.mod_tokens.sender @checklist.K-03
Feature: Real-time authorization at a Location keeps to the Location asked about
  A CPO may name the Location and the EVSEs where the driver stands (LocationReferences). The eMSP
  decides for that Location; the location in its AuthorizationInfo is the one asked about and holds
  only EVSEs from the request. Through a hub, the references reach the eMSP as sent. The harness
  authorizes a valid token (issued in this run, or listed) at a Location with two EVSEs.

  @id.tokens.authorize-location-references @shall @role.any
  Scenario: The answer's location is the one asked about, with no EVSE the request did not name
    Given the harness plays a CPO towards the target's tokens Sender
    When the harness asks for real-time authorization of a valid token, at a Location and two of its EVSEs
    Then the answer keeps to that Location and those EVSEs, and a hub passed them on to the eMSP as sent
