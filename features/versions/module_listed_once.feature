@spec.version_information_endpoint.details
Feature: Each module interface is listed once in the version details
  A module may appear twice in the version details only when the platform implements both of its
  interfaces (once as SENDER, once as RECEIVER). The credentials module is one endpoint whatever
  role it is given. The specification implies this but states it with no requirement keyword, so a
  duplicate is reported as a warning: a partner cannot tell which of the two URLs to use.

  @id.versions.module-listed-once @should @role.any
  Scenario: No (module, role) pair and no credentials endpoint appears twice
    Given the harness holds a token the target issued
    When the harness sends GET to the version details endpoint with its current token
    Then every module interface and the credentials module are listed once
