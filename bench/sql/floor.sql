-- the floor: the cheapest durable transaction (see baseline.sql)
INSERT INTO b_floor VALUES (1);
