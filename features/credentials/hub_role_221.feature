@spec.credentials.object @checklist.V221-04 @version.2.2.1
Feature: A 2.2.1 hub names itself with the HUB role alone
  In OCPI 2.2.1 a hub lists exactly one role in its credentials, HUB, with its own country code and
  party id; the parties reachable through it are announced by HubClientInfo, not in roles (that
  is the 2.3.0 way, with hub_party_id).

  @id.credentials.hub-role @shall @role.hub
  Scenario: The 2.2.1 hub's credentials list one role, HUB
    Given the harness is registered with the target
    When the harness sends GET to the credentials endpoint with its credentials token
    Then every response is a success with an object
    And the credentials list the HUB role and no other
