@spec.credentials.object @checklist.V221-03 @version.2.2.1
Feature: 2.2.1 credentials carry no 2.3.0 field
  The 2.2.1 Credentials object has token, url and roles. hub_party_id is a 2.3.0 field: a platform
  that sends it to a 2.2.1 partner shows its 2.3.0 side through the 2.2.1 one. 2.2.1 does not
  oblige receivers to tolerate unknown fields, so a strict 2.2.1 client may refuse the object.

  @id.credentials.no-hub-party-id @should @role.any
  Scenario: The 2.2.1 credentials answer has no hub_party_id
    Given the harness is registered with the target
    When the harness sends GET to the credentials endpoint with its credentials token
    Then every response is a success with an object
    And the credentials carry no hub_party_id
