@spec.mod_commands.receiver @checklist.M-04
Feature: STOP_SESSION of an unknown session is answered UNKNOWN_SESSION
  CommandResponseType has a value for exactly this case: the session the command names is not
  known to the CPO.

  @id.commands.unknown-session @should @role.cpo
  Scenario: STOP_SESSION of a session the CPO does not know
    Given the harness plays an eMSP towards the target's commands Receiver
    When the harness as eMSP sends a STOP_SESSION for a session the target does not know
    Then the answer is a CommandResponse UNKNOWN_SESSION
