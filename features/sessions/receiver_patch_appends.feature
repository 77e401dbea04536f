@spec.mod_sessions.receiver @checklist.S-04
Feature: A Session PATCH appends charging periods
  charging_periods in a Session PATCH are added after the periods the Receiver holds; they never
  replace them (a PUT does).

  @id.sessions.receiver-patch-appends-periods @shall @role.any
  Scenario: A PATCH with one charging period adds it after the stored ones
    Given the harness plays a CPO towards the target's sessions Receiver
    When the harness PUTs a new Session under its own party id
    And the harness PATCHes the Session with one more charging period
    Then the stored Session holds the PUT charging periods followed by the PATCHed one
