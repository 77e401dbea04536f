@spec.mod_locations.sender @spec.openapi @checklist.L-01
Feature: One Location, EVSE or connector from the Sender
  Besides its list, a CPO's locations Sender serves one Location at {url}/{location_id}, one EVSE
  at {url}/{location_id}/{evse_uid} and one connector at .../{connector_id} (no country code or
  party id in these paths). The harness reads the first Location the target lists; nothing is
  written.

  @id.locations.sender-single-objects @shall @role.any
  Scenario: A listed Location, its EVSE and its connector can each be fetched alone
    Given the harness plays an eMSP towards the target's locations Sender
    When the harness GETs the first Location the target lists, then that Location, its first EVSE and connector alone
    Then each answer is that object alone and matches openapi.yaml
