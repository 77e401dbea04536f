@spec.transport_and_format.unique_message_ids @checklist.T-04
Feature: A hub keeps the X-Correlation-ID on the result it delivers
  The CPO posts the CommandResult with the X-Correlation-ID of the command; the hub that delivers
  it to the eMSP keeps that id, so both ends can tie the result to their command.

  @id.commands.result-keeps-correlation-id @shall @role.hub
  Scenario: The delivered CommandResult keeps the command's X-Correlation-ID
    Given the harness plays an eMSP towards the target's commands Receiver
    When the harness as eMSP sends a START_SESSION with its own response_url
    Then the result keeps the command's X-Correlation-ID
