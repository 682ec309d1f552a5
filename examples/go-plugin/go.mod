module example.org/kanban

go 1.19
