@spec.credentials.registration @spec.credentials.object
Feature: A Credentials body with only the required fields is accepted
  BusinessDetails requires only a name; website and logo are optional. The harness registers with
  the smallest conforming Credentials object first. A platform that refuses it (often a web
  framework's validation answering HTTP 422 for an absent optional field) is reported here, and the
  harness then registers with every optional field filled in, so the rest of the run still tests
  the platform.

  @id.credentials.minimal-body-accepted @shall @role.any @phase.registration
  Scenario: Registration with business_details holding only a name is accepted
    Given the harness was given a registration token A
    When the harness registers with token A using the minimal Credentials body
    Then the minimal Credentials body was accepted
