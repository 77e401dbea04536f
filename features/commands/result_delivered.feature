@spec.mod_commands.receiver @spec.transport_and_format.message_routing @checklist.M-02 @checklist.M-07
Feature: The result of an accepted command reaches the response_url
  After an ACCEPTED CommandResponse the CommandResult is POSTed to the response_url the command
  carried, within the timeout the answer announced. Against a CPO the target posts it; against a
  hub the harness's CPO identity posts it to the URL the hub gave it, and the hub must deliver it
  to the eMSP's own URL.

  @id.commands.result-delivered @shall @role.cpo @role.hub
  Scenario: The CommandResult of a START_SESSION arrives at the eMSP's response_url
    Given the harness plays an eMSP towards the target's commands Receiver
    When the harness as eMSP sends a START_SESSION with its own response_url
    Then the CommandResult arrives at that response_url within the announced timeout
