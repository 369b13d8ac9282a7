"""The record's services: what happens to an incident, on top of the tables in models."""
