@spec.credentials.object @checklist.T-14 @version.2.3.0
Feature: A hub names its hub party in its credentials
  New in 2.3.0: a platform with hub functionality fills hub_party_id with its country code and
  party id run together (five characters, e.g. NLHUB), and lists the parties reachable through
  it in roles.

  @id.credentials.hub-party-id @shall @role.hub
  Scenario: The hub's credentials carry a five-character hub_party_id and a non-empty roles list
    Given the harness is registered with the target
    When the harness sends GET to the credentials endpoint with its credentials token
    Then every response is a success with an object
    And the credentials carry a hub_party_id of a country code and a party id
