@spec.status_codes.http @checklist.T-10
Feature: A GET of an object the Receiver does not hold answers HTTP 404
  An object that does not exist is a resource that does not exist: the spec advises HTTP 404 for it
  (SHOULD), and never a success.

  @id.locations.receiver-unknown-object-404 @should @role.any
  Scenario: GET of a Location the harness never created answers HTTP 404
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness GETs a Location id it never created
    Then the answer is HTTP 404
