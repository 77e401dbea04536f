@spec.mod_commands.receiver @spec.transport_and_format.message_routing @checklist.M-02
Feature: One command, one result
  An accepted command gets one CommandResult at its response_url. Nothing else is posted there:
  not the synchronous CommandResponse, not a second copy of the result.

  @id.commands.result-once @shall @role.cpo @role.hub
  Scenario: Only the one CommandResult arrives at the response_url
    Given the harness plays an eMSP towards the target's commands Receiver
    When the harness as eMSP sends a START_SESSION with its own response_url
    Then nothing but that one result arrives at the response_url
