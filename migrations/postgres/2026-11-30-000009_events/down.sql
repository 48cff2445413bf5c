DROP TABLE attendances;
DROP TABLE registrations;
DROP TABLE event_materials;
DROP TABLE event_requirements;
DROP TABLE events;
