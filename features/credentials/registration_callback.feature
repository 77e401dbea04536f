@spec.credentials.registration
Feature: The target calls the registering party back before it answers
  Before answering a registration, the receiving platform fetches the registering party's versions
  and its version details, authenticating with the token B it was just given. Only then does it
  answer with token C.

  @id.credentials.registration-callback @shall @role.any @phase.registration
  Scenario: During the POST the target fetched the harness's versions and its version details with token B
    Given the harness was given a registration token A
    When the harness registers with token A
    Then while the request was open the target fetched the harness's versions and version details with the token it was given
