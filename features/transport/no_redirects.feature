@spec.transport_and_format.response_format @spec.version_information_endpoint.details
Feature: Advertised URLs answer themselves, without redirects
  The versions URL and every URL in the version details are where partners send their requests,
  exactly as published. Every answer there is an OCPI envelope; an HTTP 3xx redirect (for example
  from a URL advertised without its trailing slash to the form with one) is not an OCPI answer, and
  OCPI clients do not follow redirects. The harness never follows one either: a redirect is judged
  here, once, with where it points, and the other scenarios leave that endpoint out. A redirect
  comes before any token is looked at, so every advertised URL is asked, whatever the token opens.

  @id.transport.no-redirects @shall @role.any
  Scenario: GET on the versions URL and every advertised URL is answered without a redirect
    Given the harness holds a token the target issued
    When the harness sends GET to every GET endpoint with the token it holds
    Then no response is a redirect
