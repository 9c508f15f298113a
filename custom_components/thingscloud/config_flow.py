"""Config flow: sign-in, reauthentication, reconfiguration, options and command subentries."""

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
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
from homeassistant.data_entry_flow import FlowHandler, FlowResult
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
from .api.params import command_params
from .api.realtime import ThingsCloudRealtimeAuthError, check_realtime, parse_realtime_url
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
# Selectors by field; a field not listed is plain text.
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
    **dict.fromkeys((CONF_PARAMS, CONF_OFF_PARAMS), ObjectSelector()),
}
_TEXT: Final = TextSelector(TextSelectorConfig(autocomplete="off"))


def _schema(keys: Sequence[str], optional: Collection[str] = ()) -> dict[probatio.Marker, Any]:
    """Return form fields in order, with their selectors; those in ``optional`` optional."""
    return {
        (probatio.Optional if key in optional else probatio.Required)(key): _SELECTORS.get(
            key, _TEXT
        )
        for key in keys
    }


def _form[R: FlowResult[Any, Any]](
    flow: FlowHandler[Any, R, Any],
    step_id: str,
    fields: dict[probatio.Marker, Any],
    values: Mapping[str, Any],
    errors: dict[str, str],
    *,
    placeholders: Mapping[str, str] | None = None,
) -> R:
    """Show a form, suggesting the values that are not secret."""
    return flow.async_show_form(
        step_id=step_id,
        data_schema=flow.add_suggested_values_to_schema(
            probatio.Schema(fields), {k: v for k, v in values.items() if k not in SECRET_FIELDS}
        ),
        errors=errors,
        description_placeholders=placeholders,
    )


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Strip stray whitespace from pasted identifiers and keys (never from a password)."""
    return {
        key: value.strip() if isinstance(value, str) and key != CONF_PASSWORD else value
        for key, value in user_input.items()
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

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user choose how to sign in."""
        return self.async_show_menu(step_id="user", menu_options=[AUTH_TYPE_APP, AUTH_TYPE_ADMIN])

    async def async_step_app(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sign in with an API application (AppID, Access Key, Secret Key)."""
        return await self._async_step_sign_in(AUTH_TYPE_APP, user_input)

    async def async_step_admin(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sign in with an administrator account (AppID, account, password)."""
        return await self._async_step_sign_in(AUTH_TYPE_ADMIN, user_input)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication after ThingsCloud rejected the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the credentials of the entry's sign-in way again."""
        return await self._async_step_sign_in(
            "reauth_confirm", user_input, self._get_reauth_entry()
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the endpoint and credentials (secrets left empty are kept)."""
        return await self._async_step_sign_in(
            "reconfigure", user_input, self._get_reconfigure_entry()
        )

    async def _async_step_sign_in(
        self, step_id: str, user_input: dict[str, Any] | None, entry: ConfigEntry | None = None
    ) -> ConfigFlowResult:
        """Ask for credentials, check them, then create the entry or update ``entry``."""
        auth_type: str = entry.data[CONF_AUTH_TYPE] if entry else step_id
        credentials = CREDENTIAL_FIELDS[auth_type]
        keys = credentials if step_id == "reauth_confirm" else (CONF_ENDPOINT, *credentials)
        reconfigure = step_id == "reconfigure"
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = _clean(user_input)
            # Reconfiguring, a field left empty keeps its stored value.
            given = {k: v for k, v in user_input.items() if v != "" or not reconfigure}
            values = {**(entry.data if entry else {}), **given}
            data = {
                CONF_ENDPOINT: values[CONF_ENDPOINT],
                CONF_AUTH_TYPE: auth_type,
                **{key: values[key] for key in credentials},
            }
            project, errors = await self._async_check(data)
            if project is not None:
                await self.async_set_unique_id(project.id, raise_on_progress=False)
                if entry is None:
                    self._abort_if_unique_id_configured()
                    return self.async_create_entry(
                        title=project.name or project.id,
                        data=data,
                        options={CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL},
                    )
                self._abort_if_unique_id_mismatch()
                return self.async_update_reload_and_abort(entry, data=data)
            # The error of a field not on the form (the stored endpoint) is a general one.
            errors = {key if key in keys else "base": error for key, error in errors.items()}
        placeholders = {"example_endpoint": EXAMPLE_ENDPOINT}
        if step_id == "reauth_confirm" and entry:
            placeholders["name"] = entry.title
        return _form(
            self,
            step_id,
            _schema(keys, SECRET_FIELDS if reconfigure else ()),
            user_input if user_input is not None else (entry.data if entry else {}),
            errors,
            placeholders=placeholders,
        )


# --- options -------------------------------------------------------------------------------


class _Choices:
    """What a form offers to choose from, read with one client per flow."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self._client: ThingsCloudClient | None = None

    async def fetch[T](
        self, what: str, fetch: Callable[[ThingsCloudClient], Awaitable[T]]
    ) -> T | None:
        """Return an API answer (with the loaded entry's client, or this flow's own).

        None (logged) when it failed: the forms stay usable without these choices.
        """
        try:
            if self._client is None:
                loaded = self._entry.state is ConfigEntryState.LOADED
                self._client = (
                    self._entry.runtime_data.client
                    if loaded
                    else create_client(self._hass, self._entry.data)
                )
            return await fetch(self._client)
        except ThingsCloudError as err:
            LOGGER.warning("Cannot load the ThingsCloud %s: %s", what, err)
        except Exception:  # noqa: BLE001
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
        filters = {
            CONF_DEVICE_TYPES: None
            if device_types is None
            else [
                SelectOptionDict(value=type_.id, label=type_.name or type_.id)
                for type_ in device_types
            ],
            CONF_GROUPS: None if groups is None else _group_options(groups, set()),
        }
        self._shown = {key for key, options in filters.items() if options is not None}
        for key, options in filters.items():
            if options is not None:
                schema[probatio.Optional(key)] = _multi_select(options, current.get(key, []))
        schema.update(_schema(REALTIME_FIELDS, REALTIME_FIELDS))
        return _form(self, "init", schema, {**current, **(user_input or {})}, errors)


# --- command switches and buttons ----------------------------------------------------------


# The error of each command field that must not be empty.
_REQUIRED_COMMAND_FIELDS: Final = {
    CONF_NAME: "invalid_name",
    CONF_METHOD: "invalid_method",
    CONF_OFF_METHOD: "invalid_method",
}


class CommandSubentryFlow(ConfigSubentryFlow):
    """Add or change a command switch or button."""

    platform: str
    fields: tuple[str, ...]
    """The fields after the device, in form order."""
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
        """Show the command form; check it, then add or update the subentry."""
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
            data: dict[str, Any] = {
                CONF_COMMAND_ID: stored.get(CONF_COMMAND_ID) or uuid4().hex,
                CONF_DEVICE_ID: device_id,
            }
            for key in self.fields:
                value = values.get(key)
                if key in _REQUIRED_COMMAND_FIELDS:
                    if not value:
                        errors[key] = _REQUIRED_COMMAND_FIELDS[key]
                    data[key] = value or ""
                elif key == CONF_STATE_ATTRIBUTE:
                    data[key] = value or None
                elif (params := command_params(value)) is None:
                    errors[key] = "invalid_params"
                else:
                    data[key] = params
            if not errors:
                title = f"{data[CONF_NAME]} ({(devices or {}).get(device_id, device_id)})"
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
        # The device is optional and without a default, so that none is preselected.
        schema: dict[probatio.Marker, Any] = {
            probatio.Optional(CONF_DEVICE_ID): device_selector,
            **_schema(self.fields, (CONF_PARAMS, CONF_OFF_PARAMS, CONF_STATE_ATTRIBUTE)),
        }
        shown = user_input if user_input is not None else stored
        return _form(self, step_id, schema, shown, errors)

    @callback
    def _async_move_entity(self, stored: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        """Keep a command's entity when it moves to another device (its unique_id changes)."""
        if stored.get(CONF_DEVICE_ID) == data[CONF_DEVICE_ID]:
            return
        entities = er.async_get(self.hass)
        old = f"{stored.get(CONF_DEVICE_ID)}_command_{data[CONF_COMMAND_ID]}"
        if entity_id := entities.async_get_entity_id(self.platform, DOMAIN, old):
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

    platform = "switch"
    fields = (
        CONF_NAME,
        CONF_METHOD,
        CONF_PARAMS,
        CONF_OFF_METHOD,
        CONF_OFF_PARAMS,
        CONF_STATE_ATTRIBUTE,
    )


class CommandButtonFlow(CommandSubentryFlow):
    """A button sending one command."""

    platform = "button"
    fields = (CONF_NAME, CONF_METHOD, CONF_PARAMS)
