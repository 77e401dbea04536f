@spec.credentials.registration @spec.credentials.object
Feature: Registering with token A returns the target's credentials
  The harness plays the registering party: it POSTs its own credentials (its token B, its versions
  URL and its roles) with token A. The target answers with its own credentials, carrying a new
  token C for the harness, which from then on opens the target's endpoints.

  @id.credentials.registration @shall @role.any @phase.registration
  Scenario: POST credentials with token A succeeds and the returned token C works
    Given the harness was given a registration token A
    When the harness registers with token A
    Then the registration is answered with success and the target's credentials
    And the target's credentials are well formed
    And the new credentials token opens the versions endpoint
