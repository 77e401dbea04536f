"""Every OCPI 2.2.1 operation in openapi-2.2.1.yaml, by tools/gen_models.py: do not edit.

The rows are :class:`~reference_hub.ocpi.operations.Operation` rows, as in the 2.3.0 table, so that code reading one
table reads the other.
"""

# ruff: noqa: E501
from __future__ import annotations

from reference_hub.ocpi.operations import Operation

# fmt: off
OPERATIONS: tuple[Operation, ...] = (
    Operation('versionsGetList', 'versions', None, 'GET', '/ocpi/versions', '/ocpi/versions', '', None, 'Version', True, False, ()),
    Operation('versionsGetDetails', 'versions', None, 'GET', '/ocpi/2.2.1', '/ocpi/2.2.1', '', None, 'VersionDetails', False, False, ()),
    Operation('credentialsGet', 'credentials', None, 'GET', '/ocpi/2.2.1/credentials', '/ocpi/2.2.1/credentials', '', None, 'Credentials', False, False, ()),
    Operation('credentialsPut', 'credentials', None, 'PUT', '/ocpi/2.2.1/credentials', '/ocpi/2.2.1/credentials', '', 'Credentials', 'Credentials', False, False, ()),
    Operation('credentialsPost', 'credentials', None, 'POST', '/ocpi/2.2.1/credentials', '/ocpi/2.2.1/credentials', '', 'Credentials', 'Credentials', False, False, ()),
    Operation('credentialsDelete', 'credentials', None, 'DELETE', '/ocpi/2.2.1/credentials', '/ocpi/2.2.1/credentials', '', None, None, False, False, ()),
    Operation('locationsSenderGetList', 'locations', 'SENDER', 'GET', '/ocpi/2.2.1/sender/locations', '/ocpi/2.2.1/sender/locations', '', None, 'Location', True, True, ()),
    Operation('locationsSenderGetLocation', 'locations', 'SENDER', 'GET', '/ocpi/2.2.1/sender/locations/{location_id}', '/ocpi/2.2.1/sender/locations', '/{location_id}', None, 'Location', False, False, ()),
    Operation('locationsSenderGetEvse', 'locations', 'SENDER', 'GET', '/ocpi/2.2.1/sender/locations/{location_id}/{evse_uid}', '/ocpi/2.2.1/sender/locations', '/{location_id}/{evse_uid}', None, 'EVSE', False, False, ()),
    Operation('locationsSenderGetConnector', 'locations', 'SENDER', 'GET', '/ocpi/2.2.1/sender/locations/{location_id}/{evse_uid}/{connector_id}', '/ocpi/2.2.1/sender/locations', '/{location_id}/{evse_uid}/{connector_id}', None, 'Connector', False, False, ()),
    Operation('locationsReceiverGetLocation', 'locations', 'RECEIVER', 'GET', '/ocpi/2.2.1/receiver/locations/{country_code}/{party_id}/{location_id}', '/ocpi/2.2.1/receiver/locations', '/{country_code}/{party_id}/{location_id}', None, 'Location', False, False, ()),
    Operation('locationsReceiverPutLocation', 'locations', 'RECEIVER', 'PUT', '/ocpi/2.2.1/receiver/locations/{country_code}/{party_id}/{location_id}', '/ocpi/2.2.1/receiver/locations', '/{country_code}/{party_id}/{location_id}', 'Location', None, False, False, ()),
    Operation('locationsReceiverPatchLocation', 'locations', 'RECEIVER', 'PATCH', '/ocpi/2.2.1/receiver/locations/{country_code}/{party_id}/{location_id}', '/ocpi/2.2.1/receiver/locations', '/{country_code}/{party_id}/{location_id}', 'LocationPatch', None, False, False, ()),
    Operation('locationsReceiverGetEvse', 'locations', 'RECEIVER', 'GET', '/ocpi/2.2.1/receiver/locations/{country_code}/{party_id}/{location_id}/{evse_uid}', '/ocpi/2.2.1/receiver/locations', '/{country_code}/{party_id}/{location_id}/{evse_uid}', None, 'EVSE', False, False, ()),
    Operation('locationsReceiverPutEvse', 'locations', 'RECEIVER', 'PUT', '/ocpi/2.2.1/receiver/locations/{country_code}/{party_id}/{location_id}/{evse_uid}', '/ocpi/2.2.1/receiver/locations', '/{country_code}/{party_id}/{location_id}/{evse_uid}', 'EVSE', None, False, False, ()),
    Operation('locationsReceiverPatchEvse', 'locations', 'RECEIVER', 'PATCH', '/ocpi/2.2.1/receiver/locations/{country_code}/{party_id}/{location_id}/{evse_uid}', '/ocpi/2.2.1/receiver/locations', '/{country_code}/{party_id}/{location_id}/{evse_uid}', 'EVSEPatch', None, False, False, ()),
    Operation('locationsReceiverGetConnector', 'locations', 'RECEIVER', 'GET', '/ocpi/2.2.1/receiver/locations/{country_code}/{party_id}/{location_id}/{evse_uid}/{connector_id}', '/ocpi/2.2.1/receiver/locations', '/{country_code}/{party_id}/{location_id}/{evse_uid}/{connector_id}', None, 'Connector', False, False, ()),
    Operation('locationsReceiverPutConnector', 'locations', 'RECEIVER', 'PUT', '/ocpi/2.2.1/receiver/locations/{country_code}/{party_id}/{location_id}/{evse_uid}/{connector_id}', '/ocpi/2.2.1/receiver/locations', '/{country_code}/{party_id}/{location_id}/{evse_uid}/{connector_id}', 'Connector', None, False, False, ()),
    Operation('locationsReceiverPatchConnector', 'locations', 'RECEIVER', 'PATCH', '/ocpi/2.2.1/receiver/locations/{country_code}/{party_id}/{location_id}/{evse_uid}/{connector_id}', '/ocpi/2.2.1/receiver/locations', '/{country_code}/{party_id}/{location_id}/{evse_uid}/{connector_id}', 'ConnectorPatch', None, False, False, ()),
    Operation('sessionsSenderGetList', 'sessions', 'SENDER', 'GET', '/ocpi/2.2.1/sender/sessions', '/ocpi/2.2.1/sender/sessions', '', None, 'Session', True, True, ()),
    Operation('sessionsSenderPutChargingPreferences', 'sessions', 'SENDER', 'PUT', '/ocpi/2.2.1/sender/sessions/{session_id}/charging_preferences', '/ocpi/2.2.1/sender/sessions', '/{session_id}/charging_preferences', 'ChargingPreferences', 'ChargingPreferencesResponse', False, False, ()),
    Operation('sessionsReceiverGetSession', 'sessions', 'RECEIVER', 'GET', '/ocpi/2.2.1/receiver/sessions/{country_code}/{party_id}/{session_id}', '/ocpi/2.2.1/receiver/sessions', '/{country_code}/{party_id}/{session_id}', None, 'Session', False, False, ()),
    Operation('sessionsReceiverPutSession', 'sessions', 'RECEIVER', 'PUT', '/ocpi/2.2.1/receiver/sessions/{country_code}/{party_id}/{session_id}', '/ocpi/2.2.1/receiver/sessions', '/{country_code}/{party_id}/{session_id}', 'Session', None, False, False, ()),
    Operation('sessionsReceiverPatchSession', 'sessions', 'RECEIVER', 'PATCH', '/ocpi/2.2.1/receiver/sessions/{country_code}/{party_id}/{session_id}', '/ocpi/2.2.1/receiver/sessions', '/{country_code}/{party_id}/{session_id}', 'SessionPatch', None, False, False, ()),
    Operation('cdrsSenderGetList', 'cdrs', 'SENDER', 'GET', '/ocpi/2.2.1/sender/cdrs', '/ocpi/2.2.1/sender/cdrs', '', None, 'CDR', True, True, ()),
    Operation('cdrsReceiverPostCdr', 'cdrs', 'RECEIVER', 'POST', '/ocpi/2.2.1/receiver/cdrs', '/ocpi/2.2.1/receiver/cdrs', '', 'CDR', None, False, False, ()),
    Operation('cdrsReceiverGetCdr', 'cdrs', 'RECEIVER', 'GET', '/ocpi/2.2.1/receiver/cdrs/{cdr_id}', '/ocpi/2.2.1/receiver/cdrs', '/{cdr_id}', None, 'CDR', False, False, ()),
    Operation('tariffsSenderGetList', 'tariffs', 'SENDER', 'GET', '/ocpi/2.2.1/sender/tariffs', '/ocpi/2.2.1/sender/tariffs', '', None, 'Tariff', True, True, ()),
    Operation('tariffsReceiverGetTariff', 'tariffs', 'RECEIVER', 'GET', '/ocpi/2.2.1/receiver/tariffs/{country_code}/{party_id}/{tariff_id}', '/ocpi/2.2.1/receiver/tariffs', '/{country_code}/{party_id}/{tariff_id}', None, 'Tariff', False, False, ()),
    Operation('tariffsReceiverPutTariff', 'tariffs', 'RECEIVER', 'PUT', '/ocpi/2.2.1/receiver/tariffs/{country_code}/{party_id}/{tariff_id}', '/ocpi/2.2.1/receiver/tariffs', '/{country_code}/{party_id}/{tariff_id}', 'Tariff', None, False, False, ()),
    Operation('tariffsReceiverDeleteTariff', 'tariffs', 'RECEIVER', 'DELETE', '/ocpi/2.2.1/receiver/tariffs/{country_code}/{party_id}/{tariff_id}', '/ocpi/2.2.1/receiver/tariffs', '/{country_code}/{party_id}/{tariff_id}', None, None, False, False, ()),
    Operation('tokensSenderGetList', 'tokens', 'SENDER', 'GET', '/ocpi/2.2.1/sender/tokens', '/ocpi/2.2.1/sender/tokens', '', None, 'Token', True, True, ()),
    Operation('tokensSenderPostAuthorize', 'tokens', 'SENDER', 'POST', '/ocpi/2.2.1/sender/tokens/{token_uid}/authorize', '/ocpi/2.2.1/sender/tokens', '/{token_uid}/authorize', 'LocationReferences', 'AuthorizationInfo', False, False, ('type',)),
    Operation('tokensReceiverGetToken', 'tokens', 'RECEIVER', 'GET', '/ocpi/2.2.1/receiver/tokens/{country_code}/{party_id}/{token_uid}', '/ocpi/2.2.1/receiver/tokens', '/{country_code}/{party_id}/{token_uid}', None, 'Token', False, False, ('type',)),
    Operation('tokensReceiverPutToken', 'tokens', 'RECEIVER', 'PUT', '/ocpi/2.2.1/receiver/tokens/{country_code}/{party_id}/{token_uid}', '/ocpi/2.2.1/receiver/tokens', '/{country_code}/{party_id}/{token_uid}', 'Token', None, False, False, ('type',)),
    Operation('tokensReceiverPatchToken', 'tokens', 'RECEIVER', 'PATCH', '/ocpi/2.2.1/receiver/tokens/{country_code}/{party_id}/{token_uid}', '/ocpi/2.2.1/receiver/tokens', '/{country_code}/{party_id}/{token_uid}', 'TokenPatch', None, False, False, ('type',)),
    Operation('commandsReceiverPostCommand', 'commands', 'RECEIVER', 'POST', '/ocpi/2.2.1/receiver/commands/{command}', '/ocpi/2.2.1/receiver/commands', '/{command}', 'CancelReservation | ReserveNow | StartSession | StopSession | UnlockConnector', 'CommandResponse', False, False, ()),
    Operation('commandsSenderPostCommandResult', 'commands', 'SENDER', 'POST', '/ocpi/2.2.1/sender/commands/{command}/{uid}', '/ocpi/2.2.1/sender/commands', '/{command}/{uid}', 'CommandResult', None, False, False, ()),
    Operation('chargingprofilesReceiverGetActiveProfile', 'chargingprofiles', 'RECEIVER', 'GET', '/ocpi/2.2.1/receiver/chargingprofiles/{session_id}', '/ocpi/2.2.1/receiver/chargingprofiles', '/{session_id}', None, 'ChargingProfileResponse', False, False, ('duration', 'response_url')),
    Operation('chargingprofilesReceiverPutProfile', 'chargingprofiles', 'RECEIVER', 'PUT', '/ocpi/2.2.1/receiver/chargingprofiles/{session_id}', '/ocpi/2.2.1/receiver/chargingprofiles', '/{session_id}', 'SetChargingProfile', 'ChargingProfileResponse', False, False, ()),
    Operation('chargingprofilesReceiverDeleteProfile', 'chargingprofiles', 'RECEIVER', 'DELETE', '/ocpi/2.2.1/receiver/chargingprofiles/{session_id}', '/ocpi/2.2.1/receiver/chargingprofiles', '/{session_id}', None, 'ChargingProfileResponse', False, False, ('response_url',)),
    Operation('chargingprofilesSenderPostResult', 'chargingprofiles', 'SENDER', 'POST', '/ocpi/2.2.1/sender/chargingprofiles/{session_id}/result/{uid}', '/ocpi/2.2.1/sender/chargingprofiles', '/{session_id}/result/{uid}', 'ActiveChargingProfileResult | ChargingProfileResult | ClearProfileResult', None, False, False, ()),
    Operation('chargingprofilesSenderPutActiveProfile', 'chargingprofiles', 'SENDER', 'PUT', '/ocpi/2.2.1/sender/chargingprofiles/{session_id}', '/ocpi/2.2.1/sender/chargingprofiles', '/{session_id}', 'ActiveChargingProfile', None, False, False, ()),
    Operation('hubclientinfoSenderGetList', 'hubclientinfo', 'SENDER', 'GET', '/ocpi/2.2.1/sender/hubclientinfo', '/ocpi/2.2.1/sender/hubclientinfo', '', None, 'ClientInfo', True, True, ()),
    Operation('hubclientinfoReceiverGetClientInfo', 'hubclientinfo', 'RECEIVER', 'GET', '/ocpi/2.2.1/receiver/hubclientinfo/{country_code}/{party_id}', '/ocpi/2.2.1/receiver/hubclientinfo', '/{country_code}/{party_id}', None, 'ClientInfo', False, False, ()),
    Operation('hubclientinfoReceiverPutClientInfo', 'hubclientinfo', 'RECEIVER', 'PUT', '/ocpi/2.2.1/receiver/hubclientinfo/{country_code}/{party_id}', '/ocpi/2.2.1/receiver/hubclientinfo', '/{country_code}/{party_id}', 'ClientInfo', None, False, False, ()),
)

PATH_PARAMS: dict[str, int | None] = {
    'cdr_id': None,
    'command': None,
    'connector_id': 36,
    'country_code': 2,
    'evse_uid': 36,
    'location_id': 36,
    'party_id': 3,
    'session_id': 36,
    'tariff_id': 36,
    'token_uid': 36,
    'uid': None,
}
"""Every path parameter of the operations and its maximum length (None: the description sets none)."""

__all__ = ("OPERATIONS", "PATH_PARAMS", "Operation")
