//! Raw HTTP checks of the server's own behaviour.
