"""JSON value types shared by the simulator's modules."""

type Json = str | int | float | bool | list[Json] | dict[str, Json] | None
type JsonObject = dict[str, Json]
