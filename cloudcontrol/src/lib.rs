//! Typed CloudControl 2.x REST client.
