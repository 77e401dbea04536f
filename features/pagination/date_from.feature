@spec.transport_and_format.pagination @checklist.T-06
Feature: date_from is inclusive
  date_from keeps only objects whose last_updated is at or after the given moment; an object
  updated exactly at that moment is included.

  @id.pagination.date-from-inclusive @shall @role.any
  Scenario: date_from equal to an object's last_updated includes it and excludes older objects
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness filters every paginated Sender endpoint with date_from set to an object's last_updated
    Then the filtered list holds that object and nothing updated earlier
