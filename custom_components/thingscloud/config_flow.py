"""Config flow: sign-in, reauthentication, reconfiguration, options and command subentries."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
import math
from typing import Any, Final, override
from uuid import uuid4

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    ObjectSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util.ssl import client_context
import probatio

from . import create_client
from .api import (
    DeviceGroup,
    Project,
    ThingsCloudAuthError,
    ThingsCloudClient,
    ThingsCloudError,
    ThingsCloudInvalidEndpointError,
    normalize_endpoint,
)
from .api.realtime import (
    ThingsCloudRealtimeAuthError,
    check_realtime,
    parse_realtime_url,
)
from .const import (
    AUTH_TYPE_ADMIN,
    AUTH_TYPE_APP,
    CONF_ACCOUNT,
    CONF_AUTH_TYPE,
    CONF_COMMAND_ID,
    CONF_DEVICE_ID,
    CONF_DEVICE_TYPES,
    CONF_ENDPOINT,
    CONF_GROUPS,
    CONF_METHOD,
    CONF_MQTT_URL,
    CONF_NAME,
    CONF_OFF_METHOD,
    CONF_OFF_PARAMS,
    CONF_PARAMS,
    CONF_PASSWORD,
    CONF_SCAN_INTERVAL,
    CONF_SECRET_KEY,
    CONF_STATE_ATTRIBUTE,
    CONF_VIEW_KEY,
    CONF_VIEW_SECRET,
    CREDENTIAL_FIELDS,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    REALTIME_FIELDS,
    SUBENTRY_COMMAND_BUTTON,
    SUBENTRY_COMMAND_SWITCH,
)
from .devices import device_identifier

# Values never echoed back into a form.
SECRET_FIELDS: Final = frozenset({CONF_SECRET_KEY, CONF_PASSWORD, CONF_VIEW_SECRET})
EXAMPLE_ENDPOINT: Final = "https://sh-1-api.iot-api.com"
# Text selectors by field; a field not listed is plain text.
_SELECTORS: Final = {
    CONF_ENDPOINT: TextSelector(TextSelectorConfig(type=TextSelectorType.URL, autocomplete="url")),
    CONF_MQTT_URL: TextSelector(TextSelectorConfig(type=TextSelectorType.URL, autocomplete="off")),
    CONF_ACCOUNT: TextSelector(TextSelectorConfig(autocomplete="username")),
    **dict.fromkeys(
        SECRET_FIELDS,
        TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
        ),
    ),
}
_TEXT: Final = TextSelector(TextSelectorConfig(autocomplete="off"))
MAX_PARAMS_DEPTH: Final = 32


def _schema(required: Sequence[str], optional: Sequence[str] = ()) -> dict[probatio.Marker, Any]:
    """Return form fields with their selectors."""
    fields: dict[probatio.Marker, Any] = {
        probatio.Required(key): _SELECTORS.get(key, _TEXT) for key in required
    }
    fields.update({probatio.Optional(key): _SELECTORS.get(key, _TEXT) for key in optional})
    return fields


def _public(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the values that may be shown again in a form."""
    return {key: value for key, value in values.items() if key not in SECRET_FIELDS}


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Strip stray whitespace from pasted identifiers and keys (never from a password)."""
    return {
        key: value.strip() if isinstance(value, str) and key != CONF_PASSWORD else value
        for key, value in user_input.items()
    }


def _entry_data(auth_type: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return entry data: the endpoint, the auth type and its credentials only."""
    return {
        CONF_ENDPOINT: values[CONF_ENDPOINT],
        CONF_AUTH_TYPE: auth_type,
        **{key: values[key] for key in CREDENTIAL_FIELDS[auth_type]},
    }


class ThingsCloudConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a ThingsCloud project."""

    VERSION = 1
    MINOR_VERSION = 2

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> ThingsCloudOptionsFlow:
        """Return the options flow."""
        return ThingsCloudOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the command switch and button subentry flows."""
        return {
            SUBENTRY_COMMAND_SWITCH: CommandSwitchFlow,
            SUBENTRY_COMMAND_BUTTON: CommandButtonFlow,
        }

    async def _async_check(self, data: dict[str, Any]) -> tuple[Project | None, dict[str, str]]:
        """Check entry data against the API (normalising its endpoint); return the project."""
        try:
            data[CONF_ENDPOINT] = normalize_endpoint(data[CONF_ENDPOINT])
            client = create_client(self.hass, data)
            await client.authenticate()
            return await client.get_project(), {}
        except ThingsCloudInvalidEndpointError:
            return None, {CONF_ENDPOINT: "invalid_endpoint"}
        except ThingsCloudAuthError:
            return None, {"base": "invalid_auth"}
        except ThingsCloudError as err:
            LOGGER.debug("Cannot use the ThingsCloud API at %s: %s", data[CONF_ENDPOINT], err)
            return None, {"base": "cannot_connect"}
        except Exception:  # noqa: BLE001 - shown to the user as "unknown"
            LOGGER.exception("Unexpected error while checking the ThingsCloud credentials")
            return None, {"base": "unknown"}

    def _show(
        self,
        step_id: str,
        fields: dict[probatio.Marker, Any],
        values: Mapping[str, Any],
        errors: dict[str, str],
        **placeholders: str,
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(fields), _public(values)
            ),
            errors=errors,
            description_placeholders={"example_endpoint": EXAMPLE_ENDPOINT, **placeholders},
        )

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user choose how to sign in."""
        return self.async_show_menu(step_id="user", menu_options=[AUTH_TYPE_APP, AUTH_TYPE_ADMIN])

    async def async_step_app(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sign in with an API application (AppID, Access Key, Secret Key)."""
        return await self._async_step_setup(AUTH_TYPE_APP, user_input)

    async def async_step_admin(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sign in with an administrator account (AppID, account, password)."""
        return await self._async_step_setup(AUTH_TYPE_ADMIN, user_input)

    async def _async_step_setup(
        self, auth_type: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = _clean(user_input)
            data = _entry_data(auth_type, user_input)
            project, errors = await self._async_check(data)
            if project is not None:
                await self.async_set_unique_id(project.id, raise_on_progress=False)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=project.name or project.id,
                    data=data,
                    options={CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL},
                )
        fields = _schema((CONF_ENDPOINT, *CREDENTIAL_FIELDS[auth_type]))
        return self._show(auth_type, fields, user_input or {}, errors)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication after ThingsCloud rejected the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the credentials of the entry's sign-in way again."""
        entry = self._get_reauth_entry()
        auth_type: str = entry.data[CONF_AUTH_TYPE]
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = _clean(user_input)
            data = _entry_data(auth_type, {**entry.data, **user_input})
            project, errors = await self._async_check(data)
            if project is not None:
                await self.async_set_unique_id(project.id, raise_on_progress=False)
                self._abort_if_unique_id_mismatch()
                return self.async_update_reload_and_abort(entry, data=data)
            # The stored endpoint is not on this form: show its error as a general one.
            errors = {"base": next(iter(errors.values()))}
        fields = _schema(CREDENTIAL_FIELDS[auth_type])
        values = user_input if user_input is not None else entry.data
        return self._show("reauth_confirm", fields, values, errors, name=entry.title)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the endpoint and credentials (secrets left empty are kept)."""
        entry = self._get_reconfigure_entry()
        auth_type: str = entry.data[CONF_AUTH_TYPE]
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = _clean(user_input)
            given = {key: value for key, value in user_input.items() if value != ""}
            data = _entry_data(auth_type, {**entry.data, **given})
            project, errors = await self._async_check(data)
            if project is not None:
                await self.async_set_unique_id(project.id, raise_on_progress=False)
                self._abort_if_unique_id_mismatch()
                return self.async_update_reload_and_abort(entry, data=data)
        credentials = CREDENTIAL_FIELDS[auth_type]
        fields = _schema(
            [key for key in (CONF_ENDPOINT, *credentials) if key not in SECRET_FIELDS],
            [key for key in credentials if key in SECRET_FIELDS],
        )
        values = user_input if user_input is not None else entry.data
        return self._show("reconfigure", fields, values, errors)


# --- options -------------------------------------------------------------------------------


class _Choices:
    """What a form offers to choose from, read with one client per flow."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self._client: ThingsCloudClient | None = None

    def client(self) -> ThingsCloudClient:
        """Return the loaded entry's client, or this flow's own."""
        if self._entry.state is ConfigEntryState.LOADED:
            client: ThingsCloudClient = self._entry.runtime_data.client
            return client
        if self._client is None:
            self._client = create_client(self._hass, self._entry.data)
        return self._client

    async def fetch[T](
        self, what: str, fetch: Callable[[ThingsCloudClient], Awaitable[T]]
    ) -> T | None:
        """Return an API answer for the choices of a form; None (logged) when it failed."""
        try:
            return await fetch(self.client())
        except ThingsCloudError as err:
            LOGGER.warning("Cannot load the ThingsCloud %s: %s", what, err)
        except Exception:  # noqa: BLE001 - the forms stay usable without these choices
            LOGGER.exception("Unexpected error loading the ThingsCloud %s", what)
        return None


def _group_options(
    groups: Sequence[DeviceGroup], seen: set[str], prefix: str = ""
) -> list[SelectOptionDict]:
    """Flatten a group tree into options labelled with their path."""
    options: list[SelectOptionDict] = []
    for group in groups:
        if group.id not in seen:
            seen.add(group.id)
            label = f"{prefix}{group.name or group.id}"
            options.append(SelectOptionDict(value=group.id, label=label))
            options.extend(_group_options(group.children, seen, f"{label} / "))
    return options


def _multi_select(options: list[SelectOptionDict], current: Sequence[str]) -> SelectSelector:
    """Return a multiple choice; stored ids the API no longer lists stay choosable."""
    known = {option["value"] for option in options}
    options = options + [
        SelectOptionDict(value=key, label=key) for key in current if key not in known
    ]
    return SelectSelector(
        SelectSelectorConfig(options=options, multiple=True, mode=SelectSelectorMode.DROPDOWN)
    )


async def _async_check_realtime(
    hass: HomeAssistant, entry: ConfigEntry, values: dict[str, str]
) -> dict[str, str]:
    """Check the real-time settings by connecting; return the form errors."""
    given = [key for key in REALTIME_FIELDS if values.get(key)]
    if not given:
        return {}
    if len(given) < len(REALTIME_FIELDS):
        return {"base": "mqtt_incomplete"}
    try:
        endpoint = parse_realtime_url(values[CONF_MQTT_URL])
    except ThingsCloudInvalidEndpointError:
        return {CONF_MQTT_URL: "invalid_mqtt_url"}
    try:
        await check_realtime(
            endpoint,
            values[CONF_VIEW_KEY],
            values[CONF_VIEW_SECRET],
            ssl_context=client_context() if endpoint.tls else None,
            client_id=f"ha_{entry.entry_id[-8:]}_c{uuid4().hex[:5]}",
        )
    except ThingsCloudRealtimeAuthError:
        return {"base": "mqtt_invalid_auth"}
    except ThingsCloudError as err:
        LOGGER.debug("Cannot reach the ThingsCloud MQTT subscription: %s", err)
        return {"base": "mqtt_cannot_connect"}
    return {}


class ThingsCloudOptionsFlow(OptionsFlow):
    """Polling interval, device filters and real-time updates of a project."""

    def __init__(self) -> None:
        """Start with no filter shown (their choices load with the form)."""
        self._shown: set[str] = set()

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and check the options."""
        current = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None:
            values = _clean(user_input)
            # An empty secret keeps the stored one while the URL and key are given.
            if (
                values.get(CONF_MQTT_URL)
                and values.get(CONF_VIEW_KEY)
                and not values.get(CONF_VIEW_SECRET)
            ):
                values[CONF_VIEW_SECRET] = current.get(CONF_VIEW_SECRET, "")
            errors = await _async_check_realtime(self.hass, self.config_entry, values)
            if not errors:
                return self.async_create_entry(
                    data={
                        CONF_SCAN_INTERVAL: round(values[CONF_SCAN_INTERVAL]),
                        **{
                            key: list(
                                values.get(key, []) if key in self._shown else current.get(key, [])
                            )
                            for key in (CONF_DEVICE_TYPES, CONF_GROUPS)
                        },
                        **{key: values.get(key) or "" for key in REALTIME_FIELDS},
                    }
                )
        interval = min(
            max(current.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL), MIN_SCAN_INTERVAL),
            MAX_SCAN_INTERVAL,
        )
        schema: dict[probatio.Marker, Any] = {
            probatio.Required(CONF_SCAN_INTERVAL, default=interval): NumberSelector(
                NumberSelectorConfig(
                    min=MIN_SCAN_INTERVAL,
                    max=MAX_SCAN_INTERVAL,
                    step=1,
                    unit_of_measurement="s",
                    mode=NumberSelectorMode.BOX,
                )
            )
        }
        choices = _Choices(self.hass, self.config_entry)
        device_types, groups = await asyncio.gather(
            choices.fetch("device types", lambda client: client.get_device_types()),
            choices.fetch("device groups", lambda client: client.get_device_groups_tree()),
        )
        self._shown = set()
        if device_types is not None:
            self._shown.add(CONF_DEVICE_TYPES)
            schema[probatio.Optional(CONF_DEVICE_TYPES)] = _multi_select(
                [
                    SelectOptionDict(value=item.id, label=item.name or item.id)
                    for item in device_types
                ],
                current.get(CONF_DEVICE_TYPES, []),
            )
        if groups is not None:
            self._shown.add(CONF_GROUPS)
            schema[probatio.Optional(CONF_GROUPS)] = _multi_select(
                _group_options(groups, set()), current.get(CONF_GROUPS, [])
            )
        schema.update(_schema((), REALTIME_FIELDS))
        suggested = {**current, **_public(user_input or {})}
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(schema), _public(suggested)
            ),
            errors=errors,
        )


# --- command switches and buttons ----------------------------------------------------------


def _is_json(value: object, depth: int = 0) -> bool:
    """Return whether a value can be stored and sent as JSON (finite numbers, bounded depth)."""
    if depth > MAX_PARAMS_DEPTH:
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, list):
        return all(_is_json(item, depth + 1) for item in value)
    return isinstance(value, dict) and all(
        isinstance(key, str) and _is_json(item, depth + 1) for key, item in value.items()
    )


def _params(value: object) -> dict[str, Any] | None:
    """Return command parameters as an object (empty when not given); None if unusable."""
    if value is None:
        return {}
    return value if isinstance(value, dict) and _is_json(value) else None


class CommandSubentryFlow(ConfigSubentryFlow):
    """Add or change a command switch or button."""

    subentry_type: str
    _devices: dict[str, str] | None = None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a command."""
        return await self._async_step("user", user_input, {})

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a command."""
        return await self._async_step(
            "reconfigure", user_input, self._get_reconfigure_subentry().data
        )

    async def _async_devices(self) -> dict[str, str] | None:
        """Return the project's devices (id -> name); None when they cannot be listed."""
        if self._devices is None:
            entry = self._get_entry()
            if entry.state is ConfigEntryState.LOADED:
                snapshots = entry.runtime_data.coordinator.data.devices.values()
                self._devices = {s.device.id: s.device.name or s.device.id for s in snapshots}
            elif (
                devices := await _Choices(self.hass, entry).fetch(
                    "devices", lambda client: client.get_all_devices()
                )
            ) is not None:
                self._devices = {device.id: device.name or device.id for device in devices}
        return self._devices

    async def _async_step(
        self, step_id: str, user_input: dict[str, Any] | None, stored: Mapping[str, Any]
    ) -> SubentryFlowResult:
        is_switch = self.subentry_type == SUBENTRY_COMMAND_SWITCH
        devices = await self._async_devices()
        if devices is not None and (stored_device := stored.get(CONF_DEVICE_ID)):
            # A device the project no longer lists stays choosable for its command.
            devices = {stored_device: stored_device, **devices}
        errors: dict[str, str] = {}
        if user_input is not None:
            values = _clean(user_input)
            device_id = values.get(CONF_DEVICE_ID) or ""
            if not device_id or (devices is not None and device_id not in devices):
                errors[CONF_DEVICE_ID] = "invalid_device"
            if not values.get(CONF_NAME):
                errors[CONF_NAME] = "invalid_name"
            methods = [(CONF_METHOD, CONF_PARAMS)] + (
                [(CONF_OFF_METHOD, CONF_OFF_PARAMS)] if is_switch else []
            )
            data: dict[str, Any] = {
                CONF_COMMAND_ID: stored.get(CONF_COMMAND_ID) or uuid4().hex,
                CONF_DEVICE_ID: device_id,
                CONF_NAME: values.get(CONF_NAME, ""),
            }
            for method_key, params_key in methods:
                if not values.get(method_key):
                    errors[method_key] = "invalid_method"
                if (params := _params(values.get(params_key))) is None:
                    errors[params_key] = "invalid_params"
                data[method_key], data[params_key] = values.get(method_key, ""), params
            if is_switch:
                data[CONF_STATE_ATTRIBUTE] = values.get(CONF_STATE_ATTRIBUTE) or None
            if not errors:
                device_name = (devices or {}).get(device_id, device_id)
                title = f"{data[CONF_NAME]} ({device_name})"
                if step_id == "user":
                    return self.async_create_entry(title=title, data=data)
                self._async_move_entity(stored, data)
                return self.async_update_and_abort(
                    self._get_entry(), self._get_reconfigure_subentry(), title=title, data=data
                )
        device_selector = SelectSelector(
            SelectSelectorConfig(
                options=[
                    SelectOptionDict(value=key, label=name) for key, name in (devices or {}).items()
                ],
                custom_value=devices is None,
                mode=SelectSelectorMode.DROPDOWN,
                sort=True,
            )
        )
        # Optional and without a default, so that no device is preselected.
        schema: dict[probatio.Marker, Any] = {probatio.Optional(CONF_DEVICE_ID): device_selector}
        schema.update(_schema((CONF_NAME, CONF_METHOD)))
        schema[probatio.Optional(CONF_PARAMS)] = ObjectSelector()
        if is_switch:
            schema.update(_schema((CONF_OFF_METHOD,)))
            schema[probatio.Optional(CONF_OFF_PARAMS)] = ObjectSelector()
            schema.update(_schema((), (CONF_STATE_ATTRIBUTE,)))
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(schema), user_input if user_input is not None else stored
            ),
            errors=errors,
        )

    @callback
    def _async_move_entity(self, stored: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        """Keep a command's entity when it moves to another device (its unique_id changes)."""
        if stored.get(CONF_DEVICE_ID) == data[CONF_DEVICE_ID]:
            return
        entities = er.async_get(self.hass)
        domain = "switch" if self.subentry_type == SUBENTRY_COMMAND_SWITCH else "button"
        old = f"{stored.get(CONF_DEVICE_ID)}_command_{data[CONF_COMMAND_ID]}"
        if entity_id := entities.async_get_entity_id(domain, DOMAIN, old):
            device = dr.async_get(self.hass).async_get_device_by_identifier(
                device_identifier(data[CONF_DEVICE_ID]), self._get_entry().entry_id
            )
            entities.async_update_entity(
                entity_id,
                new_unique_id=f"{data[CONF_DEVICE_ID]}_command_{data[CONF_COMMAND_ID]}",
                device_id=device.id if device else None,
            )


class CommandSwitchFlow(CommandSubentryFlow):
    """A switch sending one command to turn on and another to turn off."""

    subentry_type = SUBENTRY_COMMAND_SWITCH


class CommandButtonFlow(CommandSubentryFlow):
    """A button sending one command."""

    subentry_type = SUBENTRY_COMMAND_BUTTON
