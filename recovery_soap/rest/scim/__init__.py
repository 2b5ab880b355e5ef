"""The SCIM 2.0 face (RFC 7643/7644): /scim2/Me self-service and /scim2/Users management, on
scim2-models. Loaded lazily with the REST faces: only this package imports scim2-models."""
