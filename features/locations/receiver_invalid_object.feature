@spec.status_codes.http @spec.status_codes.ocpi @checklist.L-06
Feature: An object that breaks the data model is refused, and nothing is stored
  A Location without a required field (here: its address) is not a Location. The Receiver refuses
  it with a client-error status_code (2001: invalid or missing parameters) and stores nothing, so
  it never serves an invalid object to anyone. The refusal travels in the OCPI envelope: the body
  is well-formed JSON sent to an endpoint that exists, so the answer is advised to be HTTP 200.

  @id.locations.receiver-invalid-object-refused @shall @role.any
  Scenario: A Location without its address is refused and not stored
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a new Location without its required address
    Then the PUT is refused with a 2xxx status_code and a GET finds no such Location

  @id.locations.receiver-invalid-object-http-200 @should @role.any
  Scenario: The refusal of an invalid Location is HTTP 200 with status_code 2001
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a new Location without its required address
    Then the refusal is HTTP 200 with status_code 2001
