"""Config flow of the ThingsCloud integration.

Setup: step ``user`` is a menu of the two ways ThingsCloud hands out access tokens,
``app`` (an API application: AppID, Access Key, Secret Key) and ``admin`` (an
administrator: AppID, account, password). Both ask for the project's API endpoint too.

Before an entry exists the credentials are checked against the API: a fresh access
token (``authenticate``), then ``GET /project``, whose ``id`` becomes the unique id and
whose ``name`` the title. Errors shown to the user:

* ``invalid_endpoint`` (on the endpoint field): the URL is refused by
  ``normalize_endpoint`` (not https, or http to a host other than this machine, a path
  other than ``/api/v1``, user info, a query ...).
* ``invalid_auth``: the credentials or the token were rejected.
* ``cannot_connect``: every other failure the client reports as a ``ThingsCloudError``:
  network errors, timeouts, HTTP 5xx, bodies that are not JSON, rate limiting, HTTP 404
  (a host that is not the ThingsCloud API), and ``ThingsCloudApiError`` (the API answered
  ``result: false`` or an unusable project). All of these mean "no working ThingsCloud
  API answered at this endpoint for now"; the user checks the endpoint or retries. They
  are logged at debug level with the client's message, which never contains a secret.
* ``unknown``: anything else (a bug); logged with its traceback.

Reauth (``reauth_confirm``) asks again for the credentials of the entry's auth type;
reconfigure (``reconfigure``) for the endpoint and those credentials. Both refuse
credentials of another project (``unique_id_mismatch``).

The options flow (``init``) sets the polling interval, optional device type and group
filters, and leads on request to a menu (``commands``) that adds and removes command
switches and buttons (``CommandConfig`` items of ``options["commands"]``).
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, override
from uuid import uuid4

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
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
import probatio

from .api import (
    DeviceGroup,
    Project,
    ThingsCloudAuthError,
    ThingsCloudClient,
    ThingsCloudError,
    ThingsCloudInvalidEndpointError,
    normalize_endpoint,
)
from .const import (
    AUTH_TYPE_ADMIN,
    AUTH_TYPE_APP,
    CONF_ACCOUNT,
    CONF_AUTH_TYPE,
    CONF_COMMANDS,
    CONF_DEVICE_TYPES,
    CONF_ENDPOINT,
    CONF_GROUPS,
    CONF_PASSWORD,
    CONF_SCAN_INTERVAL,
    CONF_SECRET_KEY,
    CREDENTIAL_FIELDS,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
)
from .helpers import create_client

# Fields whose values are never echoed back into a form, logged or pre-filled.
SECRET_FIELDS: Final = frozenset({CONF_SECRET_KEY, CONF_PASSWORD})

# Shown in the endpoint's field description (no URLs in translation strings).
EXAMPLE_ENDPOINT: Final = "https://sh-1-api.iot-api.com"
PLACEHOLDERS: Final = {"example_endpoint": EXAMPLE_ENDPOINT}

# Options flow: the switch that leads to the command menu (not stored).
CONF_CONFIGURE_COMMANDS: Final = "configure_commands"

# CommandConfig keys (interfaces.md); the add forms use the same names.
COMMAND_ID: Final = "id"
COMMAND_KIND: Final = "kind"
COMMAND_DEVICE_ID: Final = "device_id"
COMMAND_NAME: Final = "name"
COMMAND_METHOD: Final = "method"
COMMAND_PARAMS: Final = "params"
COMMAND_OFF_METHOD: Final = "off_method"
COMMAND_OFF_PARAMS: Final = "off_params"
COMMAND_STATE_ATTRIBUTE: Final = "state_attribute"
COMMAND_KIND_SWITCH: Final = "switch"
COMMAND_KIND_BUTTON: Final = "button"

STEP_ADD_SWITCH: Final = "add_command_switch"
STEP_ADD_BUTTON: Final = "add_command_button"
STEP_REMOVE: Final = "remove_commands"
STEP_SAVE: Final = "save"


def _field_selector(key: str) -> TextSelector:
    """Return the selector of a connection or credential field."""
    if key == CONF_ENDPOINT:
        return TextSelector(TextSelectorConfig(type=TextSelectorType.URL, autocomplete="url"))
    if key in SECRET_FIELDS:
        return TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
        )
    if key == CONF_ACCOUNT:
        return TextSelector(TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username"))
    return TextSelector(TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="off"))


def _connection_schema(
    auth_type: str, *, endpoint: bool, optional_secrets: bool = False
) -> probatio.Schema:
    """Return the form of the credentials of ``auth_type`` (and the endpoint)."""
    keys = ((CONF_ENDPOINT,) if endpoint else ()) + CREDENTIAL_FIELDS[auth_type]
    schema: dict[probatio.Marker, TextSelector] = {}
    for key in keys:
        marker = (
            probatio.Optional(key)
            if optional_secrets and key in SECRET_FIELDS
            else probatio.Required(key)
        )
        schema[marker] = _field_selector(key)
    return probatio.Schema(schema)


def _public_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the values that may be shown again in a form (no secrets)."""
    return {key: value for key, value in values.items() if key not in SECRET_FIELDS}


def _clean_input(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Strip stray whitespace from pasted identifiers and keys (never from a password)."""
    return {
        key: value.strip() if isinstance(value, str) and key != CONF_PASSWORD else value
        for key, value in user_input.items()
    }


def _entry_data(auth_type: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return config entry data: the endpoint, the auth type and its credentials only."""
    data: dict[str, Any] = {CONF_ENDPOINT: values[CONF_ENDPOINT], CONF_AUTH_TYPE: auth_type}
    for key in CREDENTIAL_FIELDS[auth_type]:
        data[key] = values[key]
    return data


class ThingsCloudConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a ThingsCloud project."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> ThingsCloudOptionsFlow:
        """Return the options flow."""
        return ThingsCloudOptionsFlow()

    async def _async_validate(self, data: dict[str, Any]) -> tuple[Project | None, dict[str, str]]:
        """Check entry-shaped ``data`` against the API.

        Normalises ``data[endpoint]`` in place. Returns the project, or the form errors.
        """
        errors: dict[str, str] = {}
        try:
            data[CONF_ENDPOINT] = normalize_endpoint(data[CONF_ENDPOINT])
            client = create_client(self.hass, data)
            await client.authenticate()
            project = await client.get_project()
        except ThingsCloudInvalidEndpointError:
            errors[CONF_ENDPOINT] = "invalid_endpoint"
        except ThingsCloudAuthError:
            errors["base"] = "invalid_auth"
        except ThingsCloudError as err:
            LOGGER.debug("Cannot use the ThingsCloud API at %s: %s", data[CONF_ENDPOINT], err)
            errors["base"] = "cannot_connect"
        except Exception:  # noqa: BLE001 - shown to the user as "unknown"
            LOGGER.exception("Unexpected error while checking the ThingsCloud credentials")
            errors["base"] = "unknown"
        else:
            return project, errors
        return None, errors

    # --- setup -----------------------------------------------------------------------

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user choose how to log in."""
        return self.async_show_menu(step_id="user", menu_options=[AUTH_TYPE_APP, AUTH_TYPE_ADMIN])

    async def async_step_app(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Set up with an API application (AppID, Access Key, Secret Key)."""
        return await self._async_step_setup(AUTH_TYPE_APP, user_input)

    async def async_step_admin(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Set up with an administrator account (AppID, account, password)."""
        return await self._async_step_setup(AUTH_TYPE_ADMIN, user_input)

    async def _async_step_setup(
        self, auth_type: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for the endpoint and credentials, check them, create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = _clean_input(user_input)
            data = _entry_data(auth_type, user_input)
            project, errors = await self._async_validate(data)
            if project is not None:
                await self.async_set_unique_id(project.id, raise_on_progress=False)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=project.name or project.id,
                    data=data,
                    options={CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL},
                )
        return self.async_show_form(
            step_id=auth_type,
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(auth_type, endpoint=True),
                _public_values(user_input or {}),
            ),
            errors=errors,
            description_placeholders=PLACEHOLDERS,
        )

    # --- reauth ----------------------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication after the API rejected the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the credentials of the entry's auth type again."""
        entry = self._get_reauth_entry()
        auth_type: str = entry.data[CONF_AUTH_TYPE]
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = _clean_input(user_input)
            data = _entry_data(auth_type, {**entry.data, **user_input})
            project, errors = await self._async_validate(data)
            if project is not None:
                await self.async_set_unique_id(project.id, raise_on_progress=False)
                self._abort_if_unique_id_mismatch()
                return self.async_update_reload_and_abort(entry, data=data)
            if CONF_ENDPOINT in errors:
                # The stored endpoint is not on this form: show it as a general error.
                errors = {"base": errors[CONF_ENDPOINT]}
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(auth_type, endpoint=False),
                _public_values(user_input if user_input is not None else entry.data),
            ),
            errors=errors,
        )

    # --- reconfigure -----------------------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the endpoint and credentials (secrets left empty are kept)."""
        entry = self._get_reconfigure_entry()
        auth_type: str = entry.data[CONF_AUTH_TYPE]
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = _clean_input(user_input)
            given = {key: value for key, value in user_input.items() if value != ""}
            data = _entry_data(auth_type, {**entry.data, **given})
            project, errors = await self._async_validate(data)
            if project is not None:
                await self.async_set_unique_id(project.id, raise_on_progress=False)
                self._abort_if_unique_id_mismatch()
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(auth_type, endpoint=True, optional_secrets=True),
                _public_values(user_input if user_input is not None else entry.data),
            ),
            errors=errors,
            description_placeholders=PLACEHOLDERS,
        )


# --- options -----------------------------------------------------------------------------


def _is_json_value(value: object, depth: int = 0) -> bool:
    """Return whether ``value`` can be stored in options and sent as JSON."""
    if depth > 32:
        return False
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, list):
        return all(_is_json_value(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and _is_json_value(item, depth + 1) for key, item in value.items()
        )
    return False


def _params_value(value: object) -> dict[str, Any] | None:
    """Return command parameters as a JSON object (empty when not given), or None if invalid."""
    if value is None:
        return {}
    if isinstance(value, dict) and _is_json_value(value):
        return value
    return None


def _group_options(
    groups: Sequence[DeviceGroup], seen: set[str], prefix: str = ""
) -> list[SelectOptionDict]:
    """Flatten a group tree into select options labelled with their path."""
    options: list[SelectOptionDict] = []
    for group in groups:
        if group.id in seen:
            continue
        seen.add(group.id)
        label = f"{prefix}{group.name or group.id}"
        options.append(SelectOptionDict(value=group.id, label=label))
        options.extend(_group_options(group.children, seen, f"{label} / "))
    return options


def _with_current(
    options: list[SelectOptionDict], current: Sequence[str]
) -> list[SelectOptionDict]:
    """Keep stored ids the API no longer lists selectable (labelled with the id)."""
    known = {option["value"] for option in options}
    return options + [SelectOptionDict(value=key, label=key) for key in current if key not in known]


def _multi_select(options: list[SelectOptionDict]) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=options, multiple=True, mode=SelectSelectorMode.DROPDOWN)
    )


def _text() -> TextSelector:
    return TextSelector(TextSelectorConfig(type=TextSelectorType.TEXT))


class ThingsCloudOptionsFlow(OptionsFlowWithReload):
    """Polling interval, device filters and command entities of a ThingsCloud project."""

    def __init__(self) -> None:
        """Start with nothing loaded."""
        self._options: dict[str, Any] = {}
        self._commands: list[dict[str, Any]] = []
        self._shown: set[str] = set()
        self._devices: list[SelectOptionDict] | None = None
        self._devices_loaded = False
        self._own_client: ThingsCloudClient | None = None

    def _client(self) -> ThingsCloudClient:
        """Return the running integration's client, or one for this flow when not loaded."""
        entry = self.config_entry
        if entry.state is ConfigEntryState.LOADED:
            client: ThingsCloudClient = entry.runtime_data.client
            return client
        if self._own_client is None:
            self._own_client = create_client(self.hass, entry.data)
        return self._own_client

    async def _async_fetch[T](
        self, what: str, fetch: Callable[[ThingsCloudClient], Awaitable[T]]
    ) -> T | None:
        """Return an API answer for the choices of a form, or None when it failed."""
        try:
            return await fetch(self._client())
        except ThingsCloudError as err:
            LOGGER.warning("Cannot load the ThingsCloud %s for the options: %s", what, err)
        except Exception:  # noqa: BLE001 - the options flow must stay usable
            LOGGER.exception("Unexpected error loading the ThingsCloud %s", what)
        return None

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Polling interval and filters; optionally go on to the commands."""
        current = self.config_entry.options
        if user_input is not None:
            options = dict(current)
            options[CONF_SCAN_INTERVAL] = round(user_input[CONF_SCAN_INTERVAL])
            for key in (CONF_DEVICE_TYPES, CONF_GROUPS):
                if key in self._shown:
                    options[key] = list(user_input.get(key, []))
                else:
                    options[key] = list(current.get(key, []))
            self._commands = [dict(command) for command in current.get(CONF_COMMANDS, [])]
            options[CONF_COMMANDS] = self._commands
            self._options = options
            if user_input.get(CONF_CONFIGURE_COMMANDS):
                return await self.async_step_commands()
            return self.async_create_entry(data=options)

        current_types: list[str] = list(current.get(CONF_DEVICE_TYPES, []))
        current_groups: list[str] = list(current.get(CONF_GROUPS, []))
        schema: dict[probatio.Marker, Any] = {
            probatio.Required(
                CONF_SCAN_INTERVAL,
                default=min(
                    max(current.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL), MIN_SCAN_INTERVAL),
                    MAX_SCAN_INTERVAL,
                ),
            ): NumberSelector(
                NumberSelectorConfig(
                    min=MIN_SCAN_INTERVAL,
                    max=MAX_SCAN_INTERVAL,
                    step=1,
                    unit_of_measurement="s",
                    mode=NumberSelectorMode.BOX,
                )
            )
        }
        self._shown = set()
        device_types, groups = await asyncio.gather(
            self._async_fetch("device types", lambda client: client.get_device_types()),
            self._async_fetch("device groups", lambda client: client.get_device_groups_tree()),
        )
        if device_types is not None:
            type_options = [
                SelectOptionDict(value=item.id, label=item.name or item.id) for item in device_types
            ]
            schema[probatio.Optional(CONF_DEVICE_TYPES)] = _multi_select(
                _with_current(type_options, current_types)
            )
            self._shown.add(CONF_DEVICE_TYPES)
        if groups is not None:
            schema[probatio.Optional(CONF_GROUPS)] = _multi_select(
                _with_current(_group_options(groups, set()), current_groups)
            )
            self._shown.add(CONF_GROUPS)
        schema[probatio.Optional(CONF_CONFIGURE_COMMANDS, default=False)] = BooleanSelector()
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(schema),
                {CONF_DEVICE_TYPES: current_types, CONF_GROUPS: current_groups},
            ),
        )

    # --- commands --------------------------------------------------------------------

    async def async_step_commands(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Menu: add a command switch or button, remove commands, or save."""
        menu = [STEP_ADD_SWITCH, STEP_ADD_BUTTON]
        if self._commands:
            menu.append(STEP_REMOVE)
        menu.append(STEP_SAVE)
        return self.async_show_menu(
            step_id="commands",
            menu_options=menu,
            description_placeholders={
                "count": str(len(self._commands)),
                "commands": "\n".join(
                    f"- {self._command_label(command)}" for command in self._commands
                ),
            },
        )

    def _command_label(self, command: Mapping[str, Any]) -> str:
        """Return "name (device)", with the device's name when the devices were listed."""
        device_id = str(command.get(COMMAND_DEVICE_ID, ""))
        names = {option["value"]: option["label"] for option in self._devices or []}
        return f"{command.get(COMMAND_NAME, '')} ({names.get(device_id, device_id)})"

    async def async_step_save(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Store the options with the edited commands."""
        return self.async_create_entry(data={**self._options, CONF_COMMANDS: self._commands})

    async def async_step_add_command_switch(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a switch that sends one command to turn on and another to turn off."""
        return await self._async_step_add_command(COMMAND_KIND_SWITCH, user_input)

    async def async_step_add_command_button(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a button that sends one command."""
        return await self._async_step_add_command(COMMAND_KIND_BUTTON, user_input)

    async def _async_device_options(self) -> list[SelectOptionDict] | None:
        """Return the project's devices as select options (loaded once), None if it failed."""
        if not self._devices_loaded:
            self._devices_loaded = True
            devices = await self._async_fetch("devices", lambda client: client.get_all_devices())
            if devices is not None:
                self._devices = [
                    SelectOptionDict(value=device.id, label=device.name or device.id)
                    for device in devices
                ]
        return self._devices

    async def _async_step_add_command(
        self, kind: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Show, check and store one command switch or button."""
        step_id = STEP_ADD_SWITCH if kind == COMMAND_KIND_SWITCH else STEP_ADD_BUTTON
        errors: dict[str, str] = {}
        if user_input is not None:
            command, errors = self._command_from_input(kind, user_input)
            if command is not None:
                self._commands.append(command)
                return await self.async_step_commands()

        devices = await self._async_device_options()
        schema: dict[probatio.Marker, Any] = {
            # Without the device list (API failure) the device id can be typed in.
            probatio.Required(COMMAND_DEVICE_ID): SelectSelector(
                SelectSelectorConfig(
                    options=devices or [],
                    custom_value=devices is None,
                    mode=SelectSelectorMode.DROPDOWN,
                    sort=True,
                )
            ),
            probatio.Required(COMMAND_NAME): _text(),
            probatio.Required(COMMAND_METHOD): _text(),
            probatio.Optional(COMMAND_PARAMS): ObjectSelector(),
        }
        if kind == COMMAND_KIND_SWITCH:
            schema[probatio.Required(COMMAND_OFF_METHOD)] = _text()
            schema[probatio.Optional(COMMAND_OFF_PARAMS)] = ObjectSelector()
            schema[probatio.Optional(COMMAND_STATE_ATTRIBUTE)] = _text()
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(schema), user_input or {}
            ),
            errors=errors,
        )

    @staticmethod
    def _command_from_input(
        kind: str, user_input: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """Return the CommandConfig of a submitted add form, or its errors."""
        errors: dict[str, str] = {}
        device_id = str(user_input[COMMAND_DEVICE_ID]).strip()
        if not device_id:
            errors[COMMAND_DEVICE_ID] = "invalid_device"
        name = str(user_input[COMMAND_NAME]).strip()
        if not name:
            errors[COMMAND_NAME] = "invalid_name"
        method_keys = [(COMMAND_METHOD, COMMAND_PARAMS)]
        if kind == COMMAND_KIND_SWITCH:
            method_keys.append((COMMAND_OFF_METHOD, COMMAND_OFF_PARAMS))
        command: dict[str, Any] = {
            COMMAND_ID: uuid4().hex,
            COMMAND_KIND: kind,
            COMMAND_DEVICE_ID: device_id,
            COMMAND_NAME: name,
        }
        for method_key, params_key in method_keys:
            method = str(user_input[method_key]).strip()
            if not method:
                errors[method_key] = "invalid_method"
            params = _params_value(user_input.get(params_key))
            if params is None:
                errors[params_key] = "invalid_params"
            command[method_key] = method
            command[params_key] = params
        if kind == COMMAND_KIND_SWITCH:
            state_attribute = str(user_input.get(COMMAND_STATE_ATTRIBUTE) or "").strip()
            command[COMMAND_STATE_ATTRIBUTE] = state_attribute or None
        if errors:
            return None, errors
        return command, errors

    async def async_step_remove_commands(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Remove some of the configured commands."""
        if user_input is not None:
            remove = set(user_input.get(CONF_COMMANDS, []))
            self._commands = [
                command for command in self._commands if command.get(COMMAND_ID) not in remove
            ]
            return await self.async_step_commands()
        await self._async_device_options()
        options = [
            SelectOptionDict(value=str(command.get(COMMAND_ID)), label=self._command_label(command))
            for command in self._commands
        ]
        return self.async_show_form(
            step_id=STEP_REMOVE,
            data_schema=probatio.Schema(
                {
                    probatio.Optional(CONF_COMMANDS): SelectSelector(
                        SelectSelectorConfig(
                            options=options, multiple=True, mode=SelectSelectorMode.LIST
                        )
                    )
                }
            ),
        )
