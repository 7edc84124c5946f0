-- A service may follow no public-holiday calendar ("NONE"): one open every
-- day of the year, as wellcheck demo is.
ALTER TABLE service_settings DROP CONSTRAINT service_settings_holiday_calendar_check;
ALTER TABLE service_settings ADD CONSTRAINT service_settings_holiday_calendar_check
    CHECK (holiday_calendar ~ '^([A-Z]{2}(-[A-Z0-9]{1,3})?|NONE)$');
