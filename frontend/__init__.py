"""The LR Finder dashboard: ES modules served by the plugin backend."""
