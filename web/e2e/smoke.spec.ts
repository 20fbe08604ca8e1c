import { expect, test } from "./fixtures";
import { column, createProject, createWorkspace, newPerson, quickAdd, signUp } from "./helpers";

test("sign up, create a workspace and a project, and the board shows", async ({ browser }) => {
  const ada = await newPerson(browser, "Ada Lovelace");
  await signUp(ada);
  await createWorkspace(ada, "Analytical Engines");
  await createProject(ada, "Difference Engine", "DE");
  for (const name of ["To do", "In progress", "Done"]) await expect(column(ada.page, name)).toBeVisible();
  await quickAdd(ada.page, "To do", "Punch the first card");
  // Reload: the task is really stored.
  await ada.page.reload();
  await expect(column(ada.page, "To do").getByTestId("card").filter({ hasText: "Punch the first card" })).toBeVisible();
  await expect(ada.page.getByTestId("xp-bar")).toBeVisible();

  // Column management: add, rename, move left, delete (its tasks move elsewhere).
  await ada.page.getByRole("button", { name: "Add column" }).click();
  await ada.page.getByLabel("New column name").fill("Blocked");
  await ada.page.getByLabel("New column name").press("Enter");
  await expect(column(ada.page, "Blocked")).toBeVisible();
  await ada.page.getByRole("button", { name: "Blocked column options" }).click();
  await ada.page.getByRole("menuitem", { name: "Rename" }).click();
  await ada.page.getByLabel("Column name").fill("Waiting");
  await ada.page.getByLabel("Column name").press("Enter");
  await expect(column(ada.page, "Waiting")).toBeVisible();
  await ada.page.getByRole("button", { name: "Waiting column options" }).click();
  await ada.page.getByRole("menuitem", { name: "Move left" }).click();
  const names = async () => ada.page.getByTestId("column").locator("h2").allTextContents();
  await expect.poll(names).toEqual(["To do", "In progress", "Review", "Waiting", "Done"]);
  await ada.page.getByRole("button", { name: "Waiting column options" }).click();
  await ada.page.getByRole("menuitem", { name: "Delete column" }).click();
  await ada.page.getByRole("button", { name: "Delete column" }).click();
  await expect.poll(names).toEqual(["To do", "In progress", "Review", "Done"]);

  // Log out, then back in: straight back to the same board.
  const board = ada.page.url();
  await ada.page.getByTestId("user-menu").click();
  await ada.page.getByRole("menuitem", { name: "Log out" }).click();
  await expect(ada.page.getByRole("heading", { name: "Welcome back" })).toBeVisible();
  await ada.page.goto(board);
  await expect(ada.page).toHaveURL(/\/login\?next=/);
  await ada.page.getByLabel("Email").fill(ada.email);
  await ada.page.getByLabel("Password").fill("wrong password");
  await ada.page.getByRole("button", { name: "Log in" }).click();
  await expect(ada.page.getByRole("alert")).toBeVisible();
  await ada.page.getByLabel("Password").fill(ada.password);
  await ada.page.getByRole("button", { name: "Log in" }).click();
  await expect(ada.page).toHaveURL(board);
  await expect(ada.page.getByTestId("card").filter({ hasText: "Punch the first card" })).toBeVisible();
  await ada.context.close();
});
