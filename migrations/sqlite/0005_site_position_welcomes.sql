-- Where the bubble sits on the host page, and the welcome message per
-- language (a JSON object {tag: text}; `welcome_message` is the fallback).
ALTER TABLE sites ADD COLUMN position TEXT NOT NULL DEFAULT 'right' CHECK (position IN ('right', 'left'));
ALTER TABLE sites ADD COLUMN welcome_messages TEXT NOT NULL DEFAULT '{}';
