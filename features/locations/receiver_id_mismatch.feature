@spec.transport_and_format.client_owned_objects @checklist.T-09
Feature: An object whose id disagrees with its URL is refused
  The ids in the URL of a client-owned object and those in its body name the same object; when they
  differ the Receiver is advised to refuse the PUT with status_code 2001 (advice, hence SHOULD).

  @id.locations.receiver-id-mismatch-refused @should @role.any
  Scenario: A Location PUT whose body id differs from the URL id is refused
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a Location whose body id differs from the id in the URL
    Then the PUT is refused with status_code 2001 and nothing is stored under either id
