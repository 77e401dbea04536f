@spec.transport_and_format.pagination @checklist.T-06
Feature: date_to is exclusive
  date_to keeps only objects whose last_updated is before the given moment; an object updated
  exactly at that moment is left out, so consecutive windows never overlap.

  @id.pagination.date-to-exclusive @shall @role.any
  Scenario: date_to equal to an object's last_updated excludes it and keeps older objects
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness filters every paginated Sender endpoint with date_to set to an object's last_updated
    Then the filtered list holds the older objects and nothing updated at or after that moment
